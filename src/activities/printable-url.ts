/**
 * A URL as error messages and logs may show it: no userinfo, and query values hidden (they often carry
 * tokens); the names of query parameters stay, which is what a reader needs to tell calls apart.
 */
export function printableUrl(value: URL | string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(an invalid URL)';
  }
  const names = [...url.searchParams.keys()];
  const query = url.search ? `?${names.map((name) => `${encodeURIComponent(name)}=…`).join('&')}` : '';
  return `${url.origin}${url.pathname}${query}`;
}

/** Removes `user:password@` from every URL in a text (an error message from a library, say). */
export function withoutUserinfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*@/gi, '$1');
}
