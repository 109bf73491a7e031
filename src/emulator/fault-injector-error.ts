/** A fault rule that cannot be used; its message names the field at fault. */
export class InvalidFaultRuleError extends Error {
  constructor(message: string) {
    super(`invalid fault rule: ${message}`);
    this.name = 'InvalidFaultRuleError';
  }
}
