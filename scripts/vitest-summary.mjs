// Prints the plain closing line `tests: N passed, N failed, N skipped` and the name of every
// skipped suite, so a reader (and CI) sees which suites did not run and why.
export default class SummaryReporter {
  onTestRunEnd(testModules) {
    let passed = 0, failed = 0, skipped = 0;
    const skippedNames = new Set();
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          const suite = test.parent.type === 'suite' ? test.parent.fullName : test.fullName;
          skippedNames.add(`${mod.project.name}: ${suite}`);
        }
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    for (const name of skippedNames) console.log(`skipped: ${name}`);
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
