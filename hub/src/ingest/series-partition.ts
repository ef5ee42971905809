/**
 * Which worker of a hub aggregates which metric names, when the hub runs
 * several (HUB_WORKERS). Every tag set of one name goes to the same worker,
 * since the untagged series of a name aggregates all of them. Decided from
 * the subject alone, before the payload is parsed, so a worker spends nothing
 * on the samples it does not own.
 */
export interface SeriesPartition {
  index: number;
  count: number;
}

export function ownsSubjectSeries(partition: SeriesPartition, subjectSeries: string): boolean {
  if (partition.count <= 1) return true;
  const comma = subjectSeries.indexOf(',');
  const name = comma < 0 ? subjectSeries : subjectSeries.slice(0, comma);
  return fnv1a(name) % partition.count === partition.index;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
