const wholeReference = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;
const embeddedReference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree.
 * A string that is only a reference to an unset variable becomes `undefined`, so the schema
 * reports the field as required instead of accepting an empty secret.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  // Own variables only: `${constructor}` must not read Object's own function off the prototype.
  const variable = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  if (typeof value === 'string') {
    const whole = wholeReference.exec(value);
    if (whole) {
      const resolved = variable(whole[1] as string) || whole[2];
      return resolved === undefined || resolved === '' ? undefined : resolved;
    }
    return value.replace(
      embeddedReference,
      (_, name: string, fallback?: string) => variable(name) || fallback || '',
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolateEnv(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env)]));
  }
  return value;
}
