import { InvalidArgumentError } from 'commander';

// Option parsers shared by the commands: each refuses a bad value with one sentence naming the option.

/** Parses a positive integer option, refusing anything else with the option's name. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}

/** Parses a number of at least 0. */
export function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of at least 0.`);
    return n;
  };
}

/** Parses a number between 0 and 1. */
export function unitInterval(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number between 0 and 1.`);
    return n;
  };
}
