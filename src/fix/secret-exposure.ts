// Lines that would print or ship the CI environment. A model fed an attacker's log can be talked into "add a debug step
// that prints the token"; these are refused in any file, since a script or test can run in CI as easily as a workflow.

// Upper case only: environment variables are, and `$key` in a shell loop is not a secret.
const SECRET_NAME = "[A-Z0-9_]*(?:TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL)[A-Z0-9_]*";

const RULES: { what: string; re: RegExp }[] = [
  { what: "runs `printenv`", re: /\bprintenv\b/ },
  { what: "pipes or dumps `env`", re: /(?:^|[\s;&|(`:'"$])(?:env|set|export -p)\s*(?:\||>)/ },
  { what: "captures `$(env)`", re: /\$\(\s*(?:env|set|printenv)\s*\)|`\s*env\s*`/ },
  { what: "refers to a repository secret (`${{ secrets.* }}`)", re: /\$\{\{\s*secrets\./i },
  {
    what: "prints a secret-named variable",
    re: new RegExp(`\\b(?:echo|printf|print|puts|cat|Write-Host|Write-Output)\\b.*\\$(?:\\{|env:)?${SECRET_NAME}`),
  },
  {
    what: "dumps `process.env`",
    re: /\b(?:console\.\w+|JSON\.stringify|Object\.(?:entries|keys|values|assign)|util\.inspect|process\.stdout\.write|fetch|axios\.\w+)\s*\([^)]*\bprocess\.env\s*[),]/,
  },
  {
    what: "prints a secret-named `process.env` value",
    re: new RegExp(
      `\\b(?:console\\.\\w+|process\\.stdout\\.write|fetch|axios\\.\\w+)\\s*\\(.*process\\.env(?:\\.|\\[['"])${SECRET_NAME}`,
    ),
  },
  { what: "dumps `os.environ`", re: /\b(?:print|json\.dumps|dict|repr|str|requests\.\w+)\s*\(\s*os\.environ\s*[),]/ },
  {
    what: "pipes a download into a shell (`curl … | sh`)",
    re: /\b(?:curl|wget|iwr|Invoke-WebRequest)\b[^|\n]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\b(?:curl|wget)\b[^|\n]*\|\s*(?:sudo\s+)?(?:python3?|node|perl|ruby|iex)\b/i,
  },
  {
    what: "sends a secret-named variable over the network",
    re: new RegExp(`\\b(?:curl|wget|nc|Invoke-WebRequest)\\b.*\\$(?:\\{)?${SECRET_NAME}`),
  },
];

/** What the line does that exposes the environment, or null. */
export function secretExposure(line: string): string | null {
  for (const rule of RULES) if (rule.re.test(line)) return rule.what;
  return null;
}
