/**
 * A URL (or what was meant as one) safe to quote in an error message: no
 * query or fragment, and no user or password: everything between the `//`
 * and the last `@` after it is hidden (a password may hold `/`). Works on
 * text that does not parse as a URL too; a plain path is left as it is.
 */
export function redactUrl(input: string): string {
  const shown = input.replace(/[?#].*$/s, '');
  const authority = /^[^@]*?[/\\]{2}/.exec(shown)?.[0];
  const at = shown.lastIndexOf('@');
  if (authority === undefined || at < authority.length) return shown;
  return `${authority}***${shown.slice(at)}`;
}
