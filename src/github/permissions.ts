import type { ApproverAccess } from "../approval/authorize.js";
import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

/** The two questions approval/authorize.ts asks GitHub about a commenter, for this installation's client. */
export function approverAccess(octokit: Octokit): ApproverAccess {
  return {
    async repositoryAccess({ owner, repo, login }) {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
        owner,
        repo,
        username: login,
      });
      return { role: (data as { role_name?: string }).role_name ?? "", permission: data.permission };
    },
    async isActiveTeamMember({ org, teamSlug, login }) {
      try {
        const { data } = await octokit.request("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", {
          org,
          team_slug: teamSlug,
          username: login,
        });
        return data.state === "active";
      } catch (error) {
        if (statusOf(error) === 404) return false; // not a member (or no such team): GitHub does not say which
        throw error;
      }
    },
  };
}
