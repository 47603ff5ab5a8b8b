import { installTestServer, isTestServerInstalled, testServerExecutable, testServerVersion } from './test-server.ts';

// `npm run temporal:test-server:install`: fetch the Java time-skipping test server through Maven.
if (isTestServerInstalled() && !process.argv.includes('--force')) {
  console.log(`Temporal test server ${testServerVersion()} is installed: ${testServerExecutable()}`);
} else {
  const started = Date.now();
  const wrapper = installTestServer();
  console.log(
    `Temporal test server ${testServerVersion()} installed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${wrapper}`,
  );
}
