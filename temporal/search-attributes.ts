import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes let operators filter campaign workflows in the Temporal Web UI,
 * e.g. `CampaignStatus = "active" AND CampaignType = "win_back"`.
 */
export const CampaignStatus = defineSearchAttributeKey('CampaignStatus', SearchAttributeType.KEYWORD);
export const CampaignType = defineSearchAttributeKey('CampaignType', SearchAttributeType.KEYWORD);
export const CampaignStartsAt = defineSearchAttributeKey('CampaignStartsAt', SearchAttributeType.DATETIME);
/** A triggered journey's kind (`welcome`, `post_purchase`, `win_back`, `abandoned_cart`). */
export const JourneyType = defineSearchAttributeKey('JourneyType', SearchAttributeType.KEYWORD);

export const projectSearchAttributes = [CampaignStatus, CampaignType, CampaignStartsAt, JourneyType];

/** The names the Temporal CLI uses for `--search-attribute KEY=TYPE`. */
export const cliTypeName: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};
