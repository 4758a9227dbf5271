// Vitest 5 targets Node ≥ 22; on Node 20 its reporter calls Map.groupBy (Node 21+) when printing
// failures and crashes, hiding them. Loaded with `node --import` by the test scripts only; the
// packages themselves need none of this.
if (typeof Map.groupBy !== 'function') {
  Map.groupBy = (items, key) => {
    const groups = new Map()
    let index = 0
    for (const item of items) {
      const k = key(item, index++)
      const group = groups.get(k)
      if (group) group.push(item)
      else groups.set(k, [item])
    }
    return groups
  }
}
if (typeof Object.groupBy !== 'function') {
  Object.groupBy = (items, key) => Object.fromEntries(Map.groupBy(items, key))
}
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => {
    let resolve
    let reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
