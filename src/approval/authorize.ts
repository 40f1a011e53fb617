// Who may make ci-medic write to a repository. The answer comes from the collaborator permission API at the moment the
// command arrives — never from `author_association`, which shows private org members as CONTRIBUTOR and says nothing
// about write access. Any doubt (an API error, an unknown role) means no.

// The questions go through ApproverAccess (src/github/permissions.ts asks GitHub), so the rules here stay pure.

export interface Approver {
  owner: string;
  repo: string;
  login: string;
  userId: number;
  userType: string;
}

export interface ApprovalPolicy {
  permission: "write" | "admin";
  allowList: readonly string[];
  allowBotIds: readonly number[];
}

export interface AuthLog {
  warn(obj: object, msg?: string): void;
}

/** What GitHub knows about the commenter; each call throws when GitHub cannot answer. */
export interface ApproverAccess {
  /** The collaborator's role (`role_name`, a custom role's name too) and its base permission. */
  repositoryAccess(who: { owner: string; repo: string; login: string }): Promise<{ role: string; permission: string }>;
  /** False when the login is not an active member of the team (pending, or no membership at all). */
  isActiveTeamMember(team: { org: string; teamSlug: string; login: string }): Promise<boolean>;
}

export type Authorization = { allowed: true; permission: "admin" | "write" } | { allowed: false; reason: string };

/** Team look-ups per command, so a long allow-list cannot turn one comment into many API calls. */
const MAX_TEAM_CHECKS = 10;

export async function authorizeApprover(
  access: ApproverAccess,
  who: Approver,
  policy: ApprovalPolicy,
  log: AuthLog,
): Promise<Authorization> {
  if (who.userType === "Bot" || who.login.toLowerCase().endsWith("[bot]")) {
    // A bot has no collaborator permission to ask about; the repository's config naming its id is the trust decision.
    if (policy.allowBotIds.includes(who.userId)) return { allowed: true, permission: "write" };
    return {
      allowed: false,
      reason: "ci-medic does not take commands from bots unless the repository's config allows that bot by id.",
    };
  }

  let level: "admin" | "write" | "other";
  let shown: string;
  try {
    const { role, permission } = await access.repositoryAccess(who);
    ({ level, shown } = effectiveLevel(role, permission));
  } catch (error) {
    // 404: the user is not a collaborator (GitHub's answer for outsiders); a clear no, not "try again later".
    if ((error as { status?: number }).status === 404) {
      const needed = policy.permission === "admin" ? "admin" : "write";
      return {
        allowed: false,
        reason: `sorry, ci-medic commands need ${needed} access to this repository, and you are not a collaborator on it.`,
      };
    }
    log.warn({ err: error, login: who.login }, "could not read the commenter's repository permission; refusing");
    return {
      allowed: false,
      reason:
        "sorry, ci-medic could not confirm your permission on this repository just now, so it did not act. Please try again later.",
    };
  }

  const enough = level === "admin" || (level === "write" && policy.permission === "write");
  if (!enough) {
    const needed = policy.permission === "admin" ? "admin" : "write";
    return {
      allowed: false,
      reason: `sorry, ci-medic commands need ${needed} access to this repository, and your access is ${shown}.`,
    };
  }
  const permission = level === "admin" ? "admin" : "write";

  if (policy.allowList.length > 0) {
    const { listed, unreadableTeams } = await onAllowList(access, who.login, policy.allowList, log);
    if (!listed && unreadableTeams.length > 0) {
      return {
        allowed: false,
        reason:
          `sorry, ci-medic could not check your membership of ${unreadableTeams.map((t) => `\`${t}\``).join(", ")}: ` +
          "GitHub refused the App access to the organisation's teams. This is a configuration problem: an " +
          "organisation owner must grant the App the organisation permission Members (read).",
      };
    }
    if (!listed) {
      return {
        allowed: false,
        reason:
          "sorry, this repository limits ci-medic commands to the people and teams in its approval allow-list, and you are not on it.",
      };
    }
  }
  return { allowed: true, permission };
}

function effectiveLevel(role: string, permission: string): { level: "admin" | "write" | "other"; shown: string } {
  const r = role.toLowerCase();
  if (r === "admin") return { level: "admin", shown: "admin" };
  if (r === "maintain" || r === "write") return { level: "write", shown: r };
  if (r === "triage" || r === "read" || r === "none") return { level: "other", shown: r };
  // A custom role: its base permission is what `permission` reports.
  const p = permission.toLowerCase();
  if (p === "admin" || p === "write") return { level: p, shown: r ? `${r} (${p})` : p };
  return { level: "other", shown: r || p || "none" };
}

/**
 * Whether the login is on the allow-list, directly or through an active team membership. Teams GitHub would not let
 * the App read (403: the App lacks the organisation Members permission) are returned, so the refusal can say why.
 */
async function onAllowList(
  access: ApproverAccess,
  login: string,
  allowList: readonly string[],
  log: AuthLog,
): Promise<{ listed: boolean; unreadableTeams: string[] }> {
  const me = login.toLowerCase();
  const unreadableTeams: string[] = [];
  if (allowList.some((entry) => !entry.includes("/") && entry.trim().replace(/^@/, "").toLowerCase() === me))
    return { listed: true, unreadableTeams };
  const teams = allowList.filter((entry) => entry.includes("/")).slice(0, MAX_TEAM_CHECKS);
  for (const entry of teams) {
    const [org, slug, ...rest] = entry.trim().split("/");
    if (!org || !slug || rest.length > 0) continue;
    try {
      if (await access.isActiveTeamMember({ org, teamSlug: slug, login })) return { listed: true, unreadableTeams };
    } catch (error) {
      if ((error as { status?: number }).status === 403) {
        unreadableTeams.push(`${org}/${slug}`);
        log.warn(
          { err: error, team: `${org}/${slug}` },
          "configuration problem: the App may not read team membership (organisation permission Members: read is missing)",
        );
      } else {
        log.warn({ err: error, team: `${org}/${slug}` }, "could not read team membership; treating as not a member");
      }
    }
  }
  return { listed: false, unreadableTeams };
}
