// Lines a person skips when reading a failed log: what the machine and the tools say about themselves (version and
// licence banners, system information, environment dumps, sudo's settings and lecture) and package managers'
// progress. They can hold error words (`zip -v` prints "License Exception", `sudo -V` "Authentication failure
// message", a download "http-errors-1.7.2.tgz"), which must not make them anchors, and they must never head an
// excerpt (see anchors.ts and excerpt.ts). Each rule names a class of line by its shape, never one log's text.

/** Licence and copyright text, as version banners print it (`zip -v`, `gcc --version`, `java -version`). */
const LICENCE =
  /\bcopyright\b|\(c\) ?\d{4}|©|\ball rights reserved\b|\bwarrant(?:y|ies)\b|\bfree software\b|\bpublic domain\b|\bfreely (?:re)?distribut|\bexport administration\b|\blicen[cs]e (?:exception|agreement|terms)\b|\blicen[cs]e for terms\b|\blicen[cs]ed under\b|\b(?:general public|apache|mit|bsd|software) licen[cs]e\b/i;

/**
 * A tool's version banner and build options, and the headings of a runner's system-information dump:
 * `git version 2.15.1`, `Sudoers policy plugin version 1.8.16`, `Pre-installed PostgreSQL versions`,
 * `Runtime kernel version: 4.4.0-101-generic`, zip's `\tZIP64_SUPPORT   (use Zip64 to store large files)`.
 */
const BANNER =
  /^[\w .+/()-]{1,60}\bversions?:?(?: v?\d[\w.+~-]*(?: \([^)]*\))?)?$|^\s+[A-Z][A-Z0-9_]{3,}\s+\(.*\)$|^(?:Configure options|Configured with|Compiled with|Zip (?:special compilation|environment) options)\b|^\s*(?:[+-]\w+\s+){2,}[+-]\w+$/;

/**
 * The value lines under those headings: a version, alone or after a tool's name, and a few details (`5.5.0`,
 * `firefox 56.0.2`, `ruby 2.4.1p111 (2017-03-22 revision 58053) [x86_64-linux]`, `heroku/7.0.0 linux-x64 node-v10`).
 */
const VERSION_LINE =
  /^(?!.*\b(?:err|fail|fatal|exception|not found|cannot|unable))(?:[A-Za-z][\w.+-]*[ /])?v?\d+(?:\.\d+){1,3}[\w.+~-]*(?: \S+){0,4}$/i;

/**
 * System information and environment dumps: the headings and fields of Travis' worker and build-system sections and
 * of GitHub's "Set up job" step, `lsb_release -a`, and variable assignments (`export X=…`, `declare -x`, set -x's
 * `+ X=…`, printenv's `NAME=value`).
 */
const ENVIRONMENT =
  /^(?:##\[group\])?(?:Worker information|Build system information|Build (?:language|group|dist|id|image provisioning date and time):|Job id:|travis-build version:|Cookbooks Version|Operating System Details|Setting environment variables from|Current runner version:|Runner Image(?: Provisioner)?$|Operating System$|Image(?: Release)?: |Included Software: |GITHUB_TOKEN Permissions$|Secret source: |Prepare workflow directory$|Prepare all required actions$|Getting action download info$|Download action repository |Complete job name: |Distributor ID:\t|Codename:\t|Release:\t|@INC:$)|^\s*(?:\$ )?(?:export|declare -x|setenv) '?[A-Za-z_]\w*[= ]|^\++ ?(?:export |declare -x )?'?[A-Za-z_]\w*=|^[A-Z][A-Z0-9_]{2,}=\S*$/;

/**
 * sudo's lecture and the settings `sudo -V` lists, and tools' own update notices: "We trust you have received the
 * usual lecture", "Authentication failure message: Sorry, try again.", "A new version of npm is available", "This
 * development build of composer is over 60 days old".
 */
const SYSTEM =
  /^(?:Sudoers (?:policy plugin|file grammar|I\/O plugin|path)|Sudo version|Authentication failure message|Incorrect password message|Lecture user|Send mail if|Log when a command is (?:allowed|denied)|Address to send mail to|Subject of mail sent|Number of tries to enter a password|Password prompt timeout|Authentication timestamp timeout|Default password prompt|Path to (?:the )?[\w -]+:|We trust you have received the usual lecture|\s*#\d\) (?:Respect the privacy|Think before you type|With great power))|\bnew (?:major |minor |patch )?version of \S+ (?:is )?available\b|\bdevelopment build of \S+ is over \d+ days old\b|\byou are using \S+ version \S+,? however\b/i;

/**
 * Tools' warnings about the account they run as, which CI containers choose on purpose: "You're currently running as
 * root; probably by accident", "Running pip as the 'root' user". A tool that refuses to run as root says so with its
 * own failure words (`initdb: error: cannot be run as root`), which make the line no noise.
 */
const ROOT = /\b(?:running|run|continue) (?:\S+ )?as (?:the )?['"]?root\b|\bas root\/super user\b/i;

/**
 * Package managers', VCS and image pulls' progress: apt, pip, npm (its notices and dependency tree), Maven, cargo,
 * Leiningen, Homebrew, git, docker, wget (a 4xx or 5xx answer is no progress).
 * apt's `Err:N` is left out: it reports a failed download.
 */
const PROGRESS =
  /^(?:(?:Get|Hit|Ign):\d+ |(?:Fetched|Need to get) \d|Reading (?:package lists|state information)|Building dependency tree|Selecting previously unselected package|Preparing to unpack|Unpacking |Setting up |Processing triggers for |Requirement already satisfied|Successfully (?:installed|built|tagged) |Removing: |Pruned \d+ symbolic links|Sending build context to Docker daemon|npm WARN (?:deprecated|prefer global|optional|notsup|prepublish-on-install) |From (?:https?|git|ssh):\/\/\S+$|(?:\[INFO\] )?Download(?:ing|ed)(?: from \S+)?:? |Retrieving \S+ from \S+$|Collecting \S+|\s*(?:Downloading|Downloaded|Fetching|Fetched|Unpacking|Unpacked|Extracting|Installing) \S+ v?\d[\w.+-]*$|remote: (?:Counting|Compressing|Enumerating|Total) |(?:Receiving|Resolving|Counting|Compressing|Unpacking) (?:objects|deltas): |\s*\* \[new (?:tag|branch|ref)\] |[0-9a-f]{12}: (?:Pulling fs layer|Waiting|Verifying Checksum|Download complete|Pull complete|Already exists)$|Digest: sha256:[0-9a-f]+$|Status: (?:Downloaded newer image|Image is up to date) for |\s*\* branch +\S+ +-> FETCH_HEAD$|--\d{4}-\d\d-\d\d \d\d:\d\d:\d\d-- +\S+$|Resolving \S+ \(\S+\)\.\.\. [\d.:a-f, ]+$|Connecting to \S+ \(\S+\)\|[\d.:a-f]+\|:\d+\.\.\. connected\.$|HTTP request sent, awaiting response\.\.\. [23]\d\d |Length: \d+|Saving to: |npm notice |[│├└─┬ ]+[\w@/.-]+@\S+(?: deduped)?$)/;

/**
 * Words that make a progress, licence or run-as-root line a report of its own failure (`Setting up mysql-server
 * failed`, `License check failed: 3 files are missing a copyright header`, `initdb: error: cannot be run as root`).
 * A package name holding a vague word (`http-errors`, `libfailure-dev`) does not. `error:` is followed by a space as
 * often as not, so it has no closing word boundary.
 */
const OWN_FAILURE =
  /\b(?:failed|failure|fatal|denied|refused|not found|timed out|can ?not|unable to|could not)\b|\berror:/i;

/** Whether a cleaned log line is one a person would skip (see the classes above). */
export function isNoise(line: string): boolean {
  if (line.length === 0 || line.length > 400) return false;
  if (ENVIRONMENT.test(line) || BANNER.test(line) || VERSION_LINE.test(line) || SYSTEM.test(line)) return true;
  return (LICENCE.test(line) || ROOT.test(line) || PROGRESS.test(line)) && !OWN_FAILURE.test(line);
}
