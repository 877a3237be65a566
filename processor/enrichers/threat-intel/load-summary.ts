/**
 * What loading one indicator file did: how many indicators it loaded, and
 * how many entries it skipped, by reason, with the first example of each
 * reason (a line number or STIX id), for the one log line per file.
 */
export class LoadSummary {
  loaded = 0;
  readonly skipped: Record<string, number> = {};
  readonly examples: Record<string, string> = {};

  skip(reason: string, example: string): void {
    const count = this.skipped[reason] ?? 0;
    this.skipped[reason] = count + 1;
    if (count === 0) this.examples[reason] = example.length > 160 ? `${example.slice(0, 157)}...` : example;
  }

  get skippedTotal(): number {
    let total = 0;
    for (const count of Object.values(this.skipped)) total += count;
    return total;
  }
}
