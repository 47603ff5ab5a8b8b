/**
 * The alcohol-marketing rules, enforced at send time: age, consent, suppression, quiet hours
 * in the recipient's time zone, the cross-campaign frequency cap and the global pause.
 */
export {
  checkSend,
  complianceRules,
  skipReasons,
  type Channel,
  type ComplianceRules,
  type ConsentStatus,
  type SendCheckInput,
  type SendDecision,
  type SkipReason,
} from './check-send.ts';
export { ageOn, DEFAULT_MINIMUM_AGE, minimumAgeFor, parseCalendarDate, type MinimumAges } from './age.ts';
export { recipientTimeZone, type RecipientLocalTime, type TimeZoneSource } from './local-time.ts';
export { singleTimeZoneCountries, timeZoneFromPhone } from './phone-time-zones.ts';
export { isWithinSendHours, nextSendWindowOpening, type SendHours } from './send-window.ts';
