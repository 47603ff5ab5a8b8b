import type { CampaignCopyText } from '../../domain/messaging/index.ts';
import type { Db } from '../../platform/db.ts';

/**
 * A campaign's message copy per segment. Marketers may change it while the campaign is a draft
 * or awaits approval; approval freezes it with the plan. The check and the write hold the
 * campaign row's lock, which approval takes too, so an edit lands before the freeze or not at all.
 */

export const COPY_EDITABLE_STATUSES = ['draft', 'awaiting_approval'] as const;

export interface CopyItem {
  segment: string;
  subject: string;
  body: string;
  sms: string;
  source: 'llm' | 'deterministic' | 'marketer';
  updatedBy: string | null;
  updatedAt: Date;
}

export class CampaignNotFound extends Error {
  override name = 'CampaignNotFound';
}

export class UnknownSegment extends Error {
  override name = 'UnknownSegment';
}

export class CopyLocked extends Error {
  override name = 'CopyLocked';
}

interface CopyRow {
  segment_key: string;
  subject: string;
  body_text: string;
  sms_text: string;
  source: CopyItem['source'];
  updated_by: string | null;
  updated_at: Date;
}

const columns = ['segment_key', 'subject', 'body_text', 'sms_text', 'source', 'updated_by', 'updated_at'];

function itemOf(row: CopyRow): CopyItem {
  return {
    segment: row.segment_key,
    subject: row.subject,
    body: row.body_text,
    sms: row.sms_text,
    source: row.source,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

/** The campaign's copy by segment, or undefined when there is no such campaign. */
export async function listCampaignCopy(db: Db, campaignId: string): Promise<CopyItem[] | undefined> {
  const campaign = await db('campaigns').where({ id: campaignId }).first('id');
  if (!campaign) return undefined;
  const rows = (await db('campaign_copy')
    .where({ campaign_id: campaignId })
    .orderBy('segment_key')
    .select(columns)) as CopyRow[];
  return rows.map(itemOf);
}

/** Stores a marketer's copy for one segment; returns what it replaced (null if nothing) and what it is now. */
export async function saveCampaignCopy(
  db: Db,
  edit: { campaignId: string; segment: string; copy: CampaignCopyText; userId: string | null },
): Promise<{ before: CopyItem | null; after: CopyItem }> {
  return db.transaction(async (trx) => {
    const campaign = await trx('campaigns')
      .where({ id: edit.campaignId })
      .forNoKeyUpdate()
      .first('status', 'approved_plan_at');
    if (!campaign) throw new CampaignNotFound('No campaign with this id.');
    if (!(COPY_EDITABLE_STATUSES as readonly string[]).includes(campaign.status) || campaign.approved_plan_at) {
      throw new CopyLocked(
        `A campaign that is ${String(campaign.status).replace('_', ' ')} keeps the copy it was approved with; ` +
          `copy can be changed while it is ${COPY_EDITABLE_STATUSES.join(' or ').replace('_', ' ')}.`,
      );
    }
    if (!(await trx('segments').where({ key: edit.segment }).first('id'))) {
      throw new UnknownSegment(`No segment with the key ${edit.segment}.`);
    }
    const key = { campaign_id: edit.campaignId, segment_key: edit.segment };
    const before = (await trx('campaign_copy').where(key).first(columns)) as CopyRow | undefined;
    const values = {
      subject: edit.copy.subject,
      body_text: edit.copy.body,
      sms_text: edit.copy.sms,
      source: 'marketer',
      updated_by: edit.userId,
      updated_at: trx.fn.now(),
    };
    const [after] = (await trx('campaign_copy')
      .insert({ ...key, ...values })
      .onConflict(['campaign_id', 'segment_key'])
      .merge(values)
      .returning(columns)) as CopyRow[];
    return { before: before ? itemOf(before) : null, after: itemOf(after!) };
  });
}
