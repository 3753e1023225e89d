/**
 * The default topic of an event type: the type up to its first '.'
 * (`'product.created'` → `'product'`), the same rule as `defineEvent`; a type
 * without a '.' is its own topic.
 */
export function topicOfType(type: string): string {
  const dot = type.indexOf('.');
  return dot > 0 ? type.slice(0, dot) : type;
}
