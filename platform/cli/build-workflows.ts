import path from 'node:path';
import { writeWorkflowBundle } from '../../temporal/workflow-bundle.ts';

// `npm run build:workflows [-- <file>]`: the workflow bundle production workers load (WORKFLOW_BUNDLE).
const file = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { bytes } = await writeWorkflowBundle(file);
console.log(`Workflow bundle written to ${file} (${(bytes / 1024).toFixed(0)} KiB).`);
