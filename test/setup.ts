// Loaded before every test file (see .mocharc.json). Tests may talk to servers they start on
// loopback and nothing else: test/network-guard.cjs refuses every other connection and every DNS
// lookup of a name but localhost. It is plain CommonJS so that child processes, the compiled
// production build included, preload the same guard (`--require test/network-guard.cjs`).
import './network-guard.cjs';
