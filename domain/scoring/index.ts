/**
 * Customer scoring: summaries from orders, RFM segments, BG/NBD purchase and churn predictions,
 * Gamma-Gamma order values and CLV, each explainable from its inputs.
 */
export {
  checkBgNbdParams,
  customerLogLikelihood,
  expectedPurchases,
  expectedPurchasesCurve,
  expectedPurchasesOfNewCustomer,
  probabilityAlive,
  purchaseCountProbability,
  type BgNbdParams,
} from './bgnbd.ts';
export { fitBgNbd } from './bgnbd-fit.ts';
export {
  CHURN_BANDS,
  CHURN_RISK_HIGH_FROM,
  CHURN_RISK_MEDIUM_FROM,
  churnBand,
  churnRisk,
  type ChurnBand,
} from './churn.ts';
export {
  customerLifetimeValue,
  DEFAULT_HORIZON_MONTHS,
  DEFAULT_MONTHLY_DISCOUNT_RATE,
  UNITS_PER_MONTH,
  type LifetimeValueOptions,
} from './clv.ts';
export { scoreCustomer, type CustomerScore, type ScoreInputs, type ScoringModel } from './explain.ts';
export { acceptFit, type FitOptions, type FitResult } from './fit-result.ts';
export {
  checkGammaGammaParams,
  expectedOrderValue,
  fitGammaGamma,
  meanOrderValue,
  type GammaGammaParams,
} from './gamma-gamma.ts';
export { MODEL_TIME_UNITS, ONE_DAY, ScoringInputError, type ModelTimeUnit, type PurchaseHistory } from './history.ts';
export {
  quintileScores,
  RFM_SEGMENT_GRID,
  RFM_SEGMENT_LABELS,
  RFM_SEGMENTS,
  rfmSegment,
  scoreRfm,
  scoreRfmColumns,
  type RfmColumns,
  type RfmInput,
  type RfmScore,
  type RfmSegmentKey,
} from './rfm.ts';
export {
  DEFAULT_NIGHT_BUYER_SHARE,
  DEFAULT_NIGHT_WINDOW,
  summariseOrders,
  type CustomerSummary,
  type NightWindow,
  type Order,
  type SummaryOptions,
} from './summary.ts';
export {
  compressHistories,
  compressSpend,
  historyColumns,
  uncompressedHistories,
  uncompressedSpend,
  type HistoryColumns,
  type SpendColumns,
  type WeightedHistories,
  type WeightedSpend,
} from './weighted-rows.ts';
