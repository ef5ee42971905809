/**
 * How many of something each key holds (sessions per person, per address;
 * channels per person). A key whose count falls to zero is dropped, so a
 * tally holds only keys in use however many came and went.
 */
export class Tally<K> {
  private readonly counts = new Map<K, number>();

  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  has(key: K): boolean {
    return this.counts.has(key);
  }

  /** Keys counted now. */
  get size(): number {
    return this.counts.size;
  }

  add(key: K): void {
    this.counts.set(key, this.get(key) + 1);
  }

  remove(key: K): void {
    const n = this.get(key) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }
}
