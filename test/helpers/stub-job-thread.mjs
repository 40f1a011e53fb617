// A stand-in for src/app/job-thread.ts in thread-host tests: the same messages, behaviour chosen by workerData.mode.
//   ok            answers everything; "stop" is answered after a short while
//   crash-on-wake throws on the first "wake" (an uncaught error ends the thread)
//   hang-on-stop  never answers "stop"
//   mute-metrics  never answers "metrics"
import { parentPort, workerData } from "node:worker_threads";

const mode = workerData.mode;
let wakes = 0;
parentPort.on("message", (message) => {
  switch (message.type) {
    case "wake":
      wakes++;
      if (mode === "crash-on-wake") throw new Error("boom in the job thread");
      return;
    case "metrics":
      if (mode === "mute-metrics") return;
      parentPort.postMessage({
        type: "metrics",
        id: message.id,
        metrics: [
          {
            name: "ci_medic_fix_prs_opened_total",
            help: "Fix pull requests opened after an approval.",
            type: "counter",
            aggregator: "sum",
            values: [{ value: wakes, labels: {} }],
          },
        ],
      });
      return;
    case "stop":
      if (mode === "hang-on-stop") return;
      setTimeout(() => {
        parentPort.postMessage({ type: "stopped" });
        parentPort.close();
      }, 20);
      return;
  }
});
parentPort.postMessage({ type: "ready" });
