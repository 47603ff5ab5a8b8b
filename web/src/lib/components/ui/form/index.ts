import * as FormPrimitive from 'formsnap';
import ElementField from './form-element-field.svelte';
import Field from './form-field.svelte';
import FieldErrors from './form-field-errors.svelte';
import Label from './form-label.svelte';

export const FormControl = FormPrimitive.Control;
export const FormDescription = FormPrimitive.Description;
export const FormFieldset = FormPrimitive.Fieldset;
export const FormLegend = FormPrimitive.Legend;
export { ElementField as FormElementField, Field as FormField, FieldErrors as FormFieldErrors, Label as FormLabel };
