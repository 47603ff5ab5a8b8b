import type { Knex } from 'knex';

/**
 * The platform's data model (DESIGN.md "Data model"). Later changes go into new migrations;
 * this one is never edited once released.
 */

const roles = ['admin', 'manager', 'user'];
const channels = ['email', 'sms'];
const campaignStatuses = [
  'draft',
  'planning',
  'awaiting_approval',
  'scheduled',
  'active',
  'paused',
  'completed',
  'cancelled',
  'failed',
];

function timestamps(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

function uuidKey(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    uuidKey(t, knex);
    t.text('email').notNullable();
    t.text('display_name');
    t.text('password_hash').notNullable();
    t.text('role').notNullable().checkIn(roles, 'users_role_check');
    t.integer('failed_login_count').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('disabled_at', { useTz: true });
    timestamps(t, knex);
  });
  await knex.raw('create unique index users_email_unique on users (lower(email))');

  await knex.schema.createTable('refresh_tokens', (t) => {
    uuidKey(t, knex);
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
    // Every token descends from one login; reuse of a rotated token revokes the whole family.
    t.uuid('family_id').notNullable().index();
    t.text('token_hash').notNullable().unique();
    t.uuid('replaced_by').references('refresh_tokens.id').onDelete('SET NULL').index();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('rotated_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.text('user_agent');
    t.specificType('ip', 'inet');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_keys', (t) => {
    uuidKey(t, knex);
    t.text('name').notNullable();
    // The visible prefix finds the row; only a hash of the whole key is stored.
    t.text('prefix').notNullable().unique();
    t.text('key_hash').notNullable();
    t.text('role').notNullable().checkIn(roles, 'api_keys_role_check');
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{}');
    t.uuid('created_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('audit_log', (t) => {
    uuidKey(t, knex);
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.uuid('actor_user_id').references('users.id').onDelete('SET NULL').index();
    t.uuid('actor_api_key_id').references('api_keys.id').onDelete('SET NULL').index();
    t.text('action').notNullable();
    t.text('entity_type');
    t.text('entity_id');
    t.text('request_id');
    t.specificType('ip', 'inet');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['entity_type', 'entity_id']);
    t.index(['occurred_at']);
  });

  await knex.schema.createTable('settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.uuid('updated_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('segments', (t) => {
    uuidKey(t, knex);
    t.text('key').notNullable().unique();
    t.text('name').notNullable();
    t.text('description');
    t.jsonb('rules').notNullable().defaultTo('{}');
    // Offers and limits a campaign may use for this segment.
    t.jsonb('playbook').notNullable().defaultTo('{}');
    t.boolean('is_system').notNullable().defaultTo(false);
    t.integer('sort_order').notNullable().defaultTo(0);
    timestamps(t, knex);
  });

  await knex.schema.createTable('customers', (t) => {
    uuidKey(t, knex);
    // The retailer's own id: imports upsert on it.
    t.text('external_id').notNullable().unique();
    t.text('email');
    t.text('phone'); // E.164
    t.text('first_name');
    t.text('last_name');
    t.date('date_of_birth');
    t.boolean('age_verified').notNullable().defaultTo(false);
    t.text('country').notNullable().defaultTo('US');
    t.text('region');
    t.text('postal_code');
    t.text('time_zone');
    t.uuid('segment_id').references('segments.id').onDelete('SET NULL').index();
    timestamps(t, knex);
  });
  await knex.raw('create index customers_email_idx on customers (lower(email))');
  await knex.raw('create index customers_phone_idx on customers (phone)');

  await knex.schema.createTable('orders', (t) => {
    uuidKey(t, knex);
    t.text('external_id').notNullable().unique();
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE');
    t.timestamp('ordered_at', { useTz: true }).notNullable();
    t.decimal('total', 12, 2).notNullable();
    t.specificType('currency', 'char(3)').notNullable().defaultTo('USD');
    t.text('category');
    t.integer('item_count').notNullable().defaultTo(1);
    t.text('channel');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['customer_id', 'ordered_at']);
    t.index(['ordered_at']);
  });

  await knex.schema.createTable('consents', (t) => {
    uuidKey(t, knex);
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE');
    t.text('channel').notNullable().checkIn(channels, 'consents_channel_check');
    t.text('status').notNullable().checkIn(['opted_in', 'opted_out'], 'consents_status_check');
    // Where the consent came from: import, web form, inbound STOP, admin…
    t.text('source').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('evidence').notNullable().defaultTo('{}');
    t.index(['customer_id', 'channel', 'recorded_at']);
  });

  await knex.schema.createTable('suppressions', (t) => {
    uuidKey(t, knex);
    t.text('channel').notNullable().checkIn(channels, 'suppressions_channel_check');
    // Lower-cased e-mail address or E.164 phone number.
    t.text('address').notNullable();
    t.text('reason')
      .notNullable()
      .checkIn(['hard_bounce', 'complaint', 'unsubscribe', 'sms_stop', 'manual'], 'suppressions_reason_check');
    t.uuid('customer_id').references('customers.id').onDelete('SET NULL').index();
    t.text('source');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('lifted_at', { useTz: true });
  });
  await knex.raw(
    'create unique index suppressions_active_unique on suppressions (channel, address) where lifted_at is null',
  );

  await knex.schema.createTable('campaigns', (t) => {
    uuidKey(t, knex);
    t.text('name').notNullable();
    t.text('type').notNullable();
    t.text('goal');
    t.text('status').notNullable().defaultTo('draft').checkIn(campaignStatuses, 'campaigns_status_check');
    t.specificType('target_segment_ids', 'uuid[]').notNullable().defaultTo('{}');
    t.specificType('channels', 'text[]').notNullable().defaultTo('{email}');
    t.date('starts_on').notNullable();
    t.integer('window_days').notNullable().defaultTo(7);
    t.integer('audience_size').notNullable().defaultTo(300);
    t.text('time_zone').notNullable();
    t.text('workflow_id').unique();
    t.text('plan_source');
    t.uuid('created_by').references('users.id').onDelete('SET NULL').index();
    t.uuid('approved_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('approved_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    timestamps(t, knex);
    t.index(['status']);
  });
  await knex.raw(
    'alter table campaigns add constraint campaigns_audience_size_check check (audience_size between 1 and 100000)',
  );
  await knex.raw(
    'alter table campaigns add constraint campaigns_window_days_check check (window_days between 1 and 31)',
  );

  await knex.schema.createTable('actions', (t) => {
    uuidKey(t, knex);
    t.uuid('campaign_id').notNullable().references('campaigns.id').onDelete('CASCADE');
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE').index();
    t.integer('day').notNullable();
    t.date('scheduled_on').notNullable();
    t.time('window_start').notNullable();
    t.time('window_end').notNullable();
    t.specificType('channels', 'text[]').notNullable();
    t.jsonb('offer').notNullable();
    t.text('brief');
    t.text('rationale');
    t.decimal('priority_score', 10, 4).notNullable();
    t.text('status').notNullable().defaultTo('planned');
    timestamps(t, knex);
    t.unique(['campaign_id', 'customer_id', 'day']);
    t.index(['campaign_id', 'day']);
  });

  // The send ledger: one row per (campaign, customer, channel, day), written before the provider
  // call and completed with the provider's message id, so a retried batch never sends twice.
  await knex.schema.createTable('sends', (t) => {
    t.uuid('id').primary(); // deterministic (uuidv5 of the business key), never defaulted
    t.uuid('campaign_id').references('campaigns.id').onDelete('CASCADE');
    t.uuid('action_id').references('actions.id').onDelete('SET NULL').index();
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE').index();
    t.text('channel').notNullable().checkIn(channels, 'sends_channel_check');
    t.integer('day');
    t.text('status')
      .notNullable()
      .defaultTo('pending')
      .checkIn(
        ['pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'bounced', 'complained'],
        'sends_status_check',
      );
    t.text('skip_reason');
    t.text('provider');
    t.text('provider_message_id');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('opened_at', { useTz: true });
    t.timestamp('clicked_at', { useTz: true });
    t.timestamp('failed_at', { useTz: true });
    timestamps(t, knex);
    t.unique(['campaign_id', 'customer_id', 'channel', 'day']);
    t.unique(['provider', 'provider_message_id']);
    t.index(['campaign_id', 'status']);
  });

  await knex.schema.createTable('analytics_events', (t) => {
    uuidKey(t, knex);
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('type').notNullable();
    t.uuid('customer_id').references('customers.id').onDelete('SET NULL');
    t.uuid('campaign_id').references('campaigns.id').onDelete('SET NULL');
    t.uuid('send_id').references('sends.id').onDelete('SET NULL');
    t.text('channel');
    t.decimal('revenue', 12, 2);
    t.jsonb('properties').notNullable().defaultTo('{}');
    t.index(['campaign_id', 'occurred_at']);
    t.index(['customer_id', 'occurred_at']);
    t.index(['send_id']);
  });
  await knex.raw('create index analytics_events_occurred_brin on analytics_events using brin (occurred_at)');

  // Provider webhook de-duplication: a retried delivery of the same event hits the unique key.
  await knex.schema.createTable('webhook_receipts', (t) => {
    uuidKey(t, knex);
    t.text('provider').notNullable();
    t.text('event_key').notNullable();
    t.text('event_type');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.uuid('send_id').references('sends.id').onDelete('SET NULL').index();
    t.jsonb('payload').notNullable();
    t.unique(['provider', 'event_key']);
    t.index(['received_at']);
  });

  // The sandbox provider's outbox: what would have gone to Mailgun/Twilio when running offline.
  await knex.schema.createTable('outbox', (t) => {
    uuidKey(t, knex);
    t.uuid('send_id').references('sends.id').onDelete('SET NULL').index();
    t.text('channel').notNullable().checkIn(channels, 'outbox_channel_check');
    t.text('provider_message_id').notNullable().unique();
    t.text('to_address').notNullable();
    t.text('from_address');
    t.text('subject');
    t.text('body_text');
    t.text('body_html');
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'outbox',
    'webhook_receipts',
    'analytics_events',
    'sends',
    'actions',
    'campaigns',
    'suppressions',
    'consents',
    'orders',
    'customers',
    'segments',
    'settings',
    'audit_log',
    'api_keys',
    'refresh_tokens',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
