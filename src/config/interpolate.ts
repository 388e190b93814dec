// ${VAR} and ${VAR:-default} in config values, resolved from the environment when the value is used,
// so a production URL that needs PROD_DATABASE_URL does not stop `--env development` from working.

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
  }
}

export function interpolate(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_m, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new MissingVariableError(name);
    },
  );
}
