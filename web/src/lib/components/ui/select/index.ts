export { default as NativeSelect } from './native-select.svelte';
