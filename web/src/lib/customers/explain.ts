import { formatMoney, formatNumber, formatRate } from '../format.ts';

/** A customer's scores as GET /api/customers/:id returns them. */
export interface CustomerScores {
  segment: { key: string | null; name: string | null };
  rfm: { r: number | null; f: number | null; m: number | null };
  inputs: {
    timeUnit: string;
    x: number | null;
    t_x: number | null;
    T: number | null;
    meanRepeatSpend: number | null;
    orderCount: number | null;
    totalSpent: number | null;
    avgOrderValue: number | null;
    firstOrderAt: string | null;
    lastOrderAt: string | null;
    nightShare: number | null;
  };
  outputs: {
    pAlive: number | null;
    churnRisk: number | null;
    churnBand: 'low' | 'medium' | 'high' | null;
    expectedPurchases: number | null;
    expectedSpend: number | null;
    clv: number | null;
    isNightBuyer: boolean | null;
    primaryCategory: string | null;
    predictedNextPurchaseOn: string | null;
  };
  models: { model: string; params: Record<string, number>; sample_size: number; fitted_at: string }[];
  scoredAt: string;
}

const days = (n: number | null) => (n === null ? '—' : `${formatNumber(Math.round(n))} days`);

/** Plain-language reasons for each score, from the inputs the model saw. */
export function explainScores(s: CustomerScores): { rfm: string; churn: string; clv: string; night: string } {
  const i = s.inputs;
  const o = s.outputs;
  const repeats = i.x ?? 0;
  const sinceLast = i.T !== null && i.t_x !== null ? i.T - i.t_x : null;
  return {
    rfm:
      `Recency ${s.rfm.r ?? '—'}, frequency ${s.rfm.f ?? '—'}, monetary ${s.rfm.m ?? '—'} (quintiles, 5 is best): ` +
      `last order ${days(sinceLast)} ago, ${formatNumber(i.orderCount)} orders, ${formatMoney(i.totalSpent)} spent in total.`,
    churn:
      repeats === 0
        ? 'One order so far: the purchase model cannot tell yet whether this customer has stopped buying, so the risk reads low. Watch the expected purchases instead.'
        : `${formatNumber(repeats)} repeat purchases over ${days(i.t_x)}, the last one ${days(sinceLast)} ago. ` +
          `The BG/NBD model puts the chance this customer still buys at ${formatRate(o.pAlive)}, so the churn risk is ${formatRate(o.churnRisk)} (${o.churnBand ?? '—'}).`,
    clv:
      `Expected ${o.expectedPurchases === null ? '—' : o.expectedPurchases.toFixed(2)} more purchases ` +
      `at about ${formatMoney(o.expectedSpend)} each (Gamma-Gamma, from a repeat average of ${formatMoney(i.meanRepeatSpend)}), ` +
      `which gives a customer lifetime value of ${formatMoney(o.clv)}.`,
    night:
      i.nightShare === null
        ? 'No orders to tell when this customer buys.'
        : `${formatRate(i.nightShare)} of orders were placed at night${o.isNightBuyer ? ', so this is a night buyer' : ''}.`,
  };
}
