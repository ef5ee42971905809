/**
 * The series space is split into a fixed number of partitions, and each
 * partition is rolled up by one hub process at a time (see PartitionLeases).
 * Every tag set of one name falls in the same partition, since the untagged
 * series of a name aggregates all of them. Decided from the subject alone,
 * before the payload is parsed, so a process spends next to nothing on the
 * samples of partitions it does not own.
 *
 * The count is part of the deployment: every hub of one NATS must use the same.
 */
export const ROLLUP_PARTITIONS = 32;

export function partitionOf(subjectSeries: string): number {
  const comma = subjectSeries.indexOf(',');
  const name = comma < 0 ? subjectSeries : subjectSeries.slice(0, comma);
  return fnv1a(name) % ROLLUP_PARTITIONS;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
