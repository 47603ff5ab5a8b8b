/**
 * Campaign messages: Liquid templates with an MJML e-mail layout, the compliance footer and
 * headers every e-mail carries, per-segment campaign copy, SMS segment counting, signed
 * unsubscribe tokens and Mailgun mail merge.
 */
export {
  compileTemplate,
  listUnsubscribeHeaders,
  renderMessage,
  TemplateError,
  withSmsCompliance,
  type CompiledTemplate,
  type MessageTemplate,
  type MessageWarning,
  type RenderedMessage,
  type TemplateIssue,
  type TemplatePart,
} from './render.ts';
export {
  checkCopy,
  compileCopy,
  copyTemplate,
  COPY_LIMITS,
  COPY_VARIABLES,
  type CampaignCopyText,
  type CopyField,
  type CopyIssue,
  type CopyVariable,
} from './copy.ts';
export { defaultTemplates, templateFor, type TemplateOverrides } from './default-templates.ts';
export { PREFERENCES_PATH, recipientLinks, UNSUBSCRIBE_PATH } from './links.ts';
export {
  applyMailMerge,
  mailMergeReproduces,
  mailMergeValues,
  renderMailMerge,
  substituteRecipientVariables,
  type MailMergeTemplate,
  type MailMergeValues,
} from './mail-merge.ts';
export { countSmsSegments, type SmsEncoding, type SmsSegmentCount } from './sms-segments.ts';
export {
  signUnsubscribeToken,
  verifyUnsubscribeToken,
  type UnsubscribeClaims,
  type UnsubscribeTokenCheck,
} from './unsubscribe-token.ts';
export { sampleVariables, type MessageVariables, type OfferKind, type RenderOptions } from './variables.ts';
