import type { Role } from './permissions.ts';

/** GET /api/system */
export interface SystemInfo {
  planner: { planner: 'llm'; model: string } | { planner: 'deterministic'; reason: string };
  providers: {
    email: { provider: 'mailgun'; domain: string; from: string } | { provider: 'sandbox'; from: string };
    sms: { provider: 'twilio'; sender: string } | { provider: 'sandbox' };
  };
}

/** GET /api/settings/compliance */
export interface ComplianceSettings {
  source: 'environment';
  minimumAge: { value: Record<string, number>; variable: string };
  sendHours: { value: { start: string; end: string }; variable: string };
  frequencyCap: { value: { max: number; days: number }; variable: string };
  sendingPaused: { value: boolean; variable: string };
  storeName: { value: string; variable: string };
  postalAddress: { value: string; variable: string };
  footer: { value: string; variable: string };
  storeTimeZone: { value: string; variable: string };
}

export interface UserSummary {
  id: string;
  email: string;
  displayName: string | null;
  role: Role;
  disabledAt: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export const apiKeyScopes = ['import', 'events', 'orders', 'campaigns', 'read', 'metrics'] as const;

export type ProviderState = 'live' | 'sandbox' | 'missing';

/** Each channel and the planner as live, sandbox or missing, with what to set to change it. */
export function providerStates(
  system: SystemInfo,
): { name: string; state: ProviderState; detail: string; howTo: string }[] {
  const { email, sms } = system.providers;
  const planner = system.planner;
  return [
    planner.planner === 'llm'
      ? {
          name: 'Campaign planner',
          state: 'live',
          detail: `LLM planner, model ${planner.model}`,
          howTo: 'OPENAI_API_KEY, OPENAI_MODEL',
        }
      : {
          name: 'Campaign planner',
          state: 'missing',
          detail: `No LLM configured (${planner.reason}): campaigns are planned by the deterministic planner, from the segment playbooks.`,
          howTo: 'Set OPENAI_API_KEY to plan with an LLM.',
        },
    email.provider === 'mailgun'
      ? {
          name: 'E-mail',
          state: 'live',
          detail: `Mailgun, ${email.domain}, from ${email.from}`,
          howTo: 'MAILGUN_API_KEY, MAILGUN_DOMAIN',
        }
      : {
          name: 'E-mail',
          state: 'sandbox',
          detail: `Sandbox: e-mails go to the Outbox, nobody receives them (from ${email.from}).`,
          howTo: 'Set MAILGUN_API_KEY and MAILGUN_DOMAIN to send for real.',
        },
    sms.provider === 'twilio'
      ? {
          name: 'SMS',
          state: 'live',
          detail: `Twilio, from ${sms.sender}`,
          howTo: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN',
        }
      : {
          name: 'SMS',
          state: 'sandbox',
          detail: 'Sandbox: text messages go to the Outbox, nobody receives them.',
          howTo: 'Set the TWILIO_* variables to send for real.',
        },
  ];
}
