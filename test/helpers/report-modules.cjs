// Preloaded into a bot process by tests (`node --require test/helpers/report-modules.cjs`): when the
// process exits, it writes the path of every module it loaded (require.cache) as JSON to the file
// named by REPORT_MODULES_TO, so a test can check what the production entry point really loads.
'use strict';
const fs = require('node:fs');

const target = process.env.REPORT_MODULES_TO;
if (target) {
  process.on('exit', () => {
    fs.writeFileSync(target, JSON.stringify(Object.keys(require.cache)));
  });
}
