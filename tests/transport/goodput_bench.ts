// Bench: the simulated bulk transfer behind the goodput report (wall time per run), and the report itself
// (virtual-time goodput at 2% loss / 40 ms RTT against the Mathis bound), printed once. Not an assertion.
import { formatReport, measureGoodput } from "./goodput.ts";

let reported = false;

Deno.bench("16 MiB at 2% loss, 40 ms RTT, in virtual time", { n: 3, warmup: 0 }, () => {
  const r = measureGoodput(0.02, 40, 16 * 1024 * 1024, 1);
  if (!reported) {
    reported = true;
    console.log(formatReport(r));
  }
});
