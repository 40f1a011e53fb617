import type { RepoConfig } from "../config/schema.js";
import { redact } from "../logs/redact.js";
import { safeInline } from "../output/markdown.js";
import type { Runtime } from "../runtime.js";
import type { CommandRequest } from "./command-request.js";
import { refreshComment } from "./refresh-comment.js";
import { reply } from "./reply.js";
import { latestDiagnosisInThread } from "./thread-analysis.js";

/** `/reject [reason]`: recorded, shown on the diagnosis, and no fix will be opened for it. */
export async function rejectDiagnosis(rt: Runtime, request: CommandRequest, config: RepoConfig): Promise<void> {
  const { context, thread, actor, command } = request;
  const { owner, repo } = context.repo();
  const analysis = await latestDiagnosisInThread(rt, `${owner}/${repo}`, thread);
  if (!analysis) {
    await reply(context, thread, "There is no ci-medic diagnosis in this thread to reject.");
    return;
  }
  // Stored as written (cut, secrets out); made inert wherever it is shown.
  const reason = redact(command.arg.replace(/\s+/g, " ").trim()).slice(0, 300);
  await rt.db.approval.create({
    data: {
      analysisId: analysis.id,
      action: "reject",
      actor: actor.login,
      headSha: analysis.headSha,
      note: reason || null,
      state: "rejected",
    },
  });
  await refreshComment(rt, context, analysis, thread, config, {
    state: "rejected",
    by: actor.login,
    reason: reason || undefined,
  });
  await reply(
    context,
    thread,
    `Understood, @${actor.login}: no fix will be opened for this diagnosis.${reason ? ` Reason noted: ${safeInline(reason, `${owner}/${repo}`)}` : ""}`,
  );
}
