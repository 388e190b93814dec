// The platform's API could not be reached (network errors, or 5xx answers, through every retry): the
// state of what it was doing is unknown, so a caller that was waiting on a deploy keeps it resumable
// instead of calling it failed.
import { PgwardError } from '../errors.js';

export class PlatformUnreachableError extends PgwardError {
  constructor(message: string, hint?: string) {
    super(message, hint ? { hint } : {});
    this.name = 'PlatformUnreachableError';
  }
}
