/** One problem found by a schema. */
export type SchemaIssue = { readonly message: string; readonly path: readonly PropertyKey[] };

// The first few issues, readable in a log line: `data.price: Too small; type: Required`.
// Paths and messages can come from received bytes (an attribute name is a
// path): each is cut short, so an error message stays bounded whatever came in.
export function listIssues(issues: readonly SchemaIssue[]): string {
  const listed = issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map((part) => clip(String(part), 40)).join('.');
      return `${path || '(root)'}: ${clip(issue.message, 200)}`;
    })
    .join('; ');
  return issues.length > 5 ? `${listed}; and ${issues.length - 5} more` : listed;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
