import { describe, expect, it } from 'vitest';
import { CLICK_PATH, clickLinkKey, verifyClickToken } from '../../domain/messaging/click-token.ts';
import { messageSettings, messageVariables, type MessageRecipient } from './variables.ts';

const secret = 'unsubscribe-secret-for-tests-0123456789abcdef';
const settings = messageSettings(
  {
    publicUrl: 'https://marketing.shop.example',
    MAILGUN_DOMAIN: undefined,
    STORE_NAME: 'Corner Cellar',
    STORE_POSTAL_ADDRESS: '1 Main St, Springfield',
    RESPONSIBLE_DRINKING_LINE: 'Please drink responsibly.',
  },
  secret,
);
const offer = { key: 'winback_10', label: '10% off', kind: 'percent_off' as const, discountPct: 10 };
const recipient: MessageRecipient = {
  customerId: '00000000-0000-4000-8000-000000000001',
  channel: 'email',
  campaignId: null,
  firstName: 'Pat',
  primaryCategory: 'bourbon',
};
const sendId = '00000000-0000-4000-8000-0000000000aa';

describe('message variables', () => {
  it("send an e-mail's shop link through the click redirect, signed for its ledger row", () => {
    const { links } = messageVariables(settings, { ...recipient, sendId }, offer);
    expect(links.shop.startsWith(`https://marketing.shop.example${CLICK_PATH}`)).toBe(true);
    const check = verifyClickToken(
      links.shop.slice(links.shop.indexOf(CLICK_PATH) + CLICK_PATH.length),
      clickLinkKey(secret),
    );
    expect(check).toEqual({ ok: true, sendId, url: settings.shopUrl });
  });

  it('leave the links of a preview and of a text message direct', () => {
    expect(messageVariables(settings, recipient, offer).links.shop).toBe(settings.shopUrl);
    expect(messageVariables(settings, { ...recipient, channel: 'sms', sendId }, offer).links.shop).toBe(
      settings.shopUrl,
    );
  });

  it('never track the unsubscribe links', () => {
    const { links } = messageVariables(settings, { ...recipient, sendId }, offer);
    expect(links.unsubscribe).toContain('/api/unsubscribe/');
    expect(links.preferences).toContain('/preferences/');
  });
});
