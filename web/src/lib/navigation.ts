import ChartColumnIcon from '@lucide/svelte/icons/chart-column';
import InboxIcon from '@lucide/svelte/icons/inbox';
import LayoutDashboardIcon from '@lucide/svelte/icons/layout-dashboard';
import MegaphoneIcon from '@lucide/svelte/icons/megaphone';
import SettingsIcon from '@lucide/svelte/icons/settings';
import ShapesIcon from '@lucide/svelte/icons/shapes';
import UploadIcon from '@lucide/svelte/icons/upload';
import UsersIcon from '@lucide/svelte/icons/users';
import type { Component } from 'svelte';

export interface NavItem {
  href: string;
  label: string;
  icon: Component;
}

/** The app's sections, in the order the sidebar and the mobile menu show them. */
export const navItems: NavItem[] = [
  { href: '/', label: 'Dashboard', icon: LayoutDashboardIcon },
  { href: '/customers', label: 'Customers', icon: UsersIcon },
  { href: '/import', label: 'Import', icon: UploadIcon },
  { href: '/segments', label: 'Segments', icon: ShapesIcon },
  { href: '/campaigns', label: 'Campaigns', icon: MegaphoneIcon },
  { href: '/outbox', label: 'Outbox', icon: InboxIcon },
  { href: '/analytics', label: 'Analytics', icon: ChartColumnIcon },
  { href: '/settings', label: 'Settings', icon: SettingsIcon },
];

/** The section a path belongs to: `/customers/123` is under Customers, `/` only matches itself. */
export function isCurrent(item: NavItem, pathname: string): boolean {
  return item.href === '/' ? pathname === '/' : pathname === item.href || pathname.startsWith(`${item.href}/`);
}
