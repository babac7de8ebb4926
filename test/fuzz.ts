// How many runs each fast-check property gets. `npm test` keeps the whole suite fast; `npm run fuzz`
// sets FUZZ_RUNS=100000 and runs only the property tests (their titles end in "(fast-check)").
const configured = Number(process.env.FUZZ_RUNS);
export const FUZZ_RUNS = Number.isInteger(configured) && configured > 0 ? configured : 1000;
