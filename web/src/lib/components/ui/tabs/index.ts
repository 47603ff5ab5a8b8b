import { Tabs as TabsPrimitive } from 'bits-ui';
import Content from './tabs-content.svelte';
import List from './tabs-list.svelte';
import Trigger from './tabs-trigger.svelte';

export const Tabs = TabsPrimitive.Root;
export { Content as TabsContent, List as TabsList, Trigger as TabsTrigger };
