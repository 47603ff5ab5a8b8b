import type { Config } from '../platform/config.ts';
import type { ScoringSettings } from './scoring.ts';

export function scoringSettings(cfg: Config): ScoringSettings {
  return {
    timeZone: cfg.STORE_TIME_ZONE,
    nightWindow: cfg.NIGHT_WINDOW,
    nightBuyerShare: cfg.NIGHT_BUYER_SHARE,
    horizonMonths: cfg.CLV_HORIZON_MONTHS,
    monthlyDiscountRate: cfg.CLV_MONTHLY_DISCOUNT_RATE,
  };
}
