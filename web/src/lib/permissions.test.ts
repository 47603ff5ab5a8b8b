import { describe, expect, it } from 'vitest';
import { accessTable, type AccessRule } from '../../../api/access.ts';
import { can, permissions, type Permission } from './permissions.ts';

describe('what the UI lets each role do', () => {
  it.each(Object.entries(permissions))('%s matches the API’s route × role table', (_name, { routes, roles }) => {
    for (const key of routes) {
      const rule = (accessTable as Record<string, AccessRule>)[key];
      expect(rule, `${key} is in api/access.ts`).toBeDefined();
      expect('roles' in rule! ? [...rule.roles].sort() : [], key).toEqual([...roles].sort());
    }
  });

  it.each([
    ['user', 'importData', false],
    ['manager', 'importData', true],
    ['manager', 'manageUsers', false],
    ['admin', 'manageUsers', true],
    [undefined, 'draftCampaigns', false],
  ] as const)('%s may %s: %s', (role, permission: Permission, allowed) => {
    expect(can(role, permission)).toBe(allowed);
  });
});
