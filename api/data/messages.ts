import type { Db } from '../../platform/db.ts';

/** What a message says about a customer: their first name and, once scored, their primary category. */
export async function messageRecipient(
  db: Db,
  customerId: string,
): Promise<{ id: string; firstName: string | null; primaryCategory: string | null } | undefined> {
  return db('customers as c')
    .leftJoin('customer_scores as s', 's.customer_id', 'c.id')
    .where('c.id', customerId)
    .first('c.id', 'c.first_name as firstName', 's.primary_category as primaryCategory');
}
