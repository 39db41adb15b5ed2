/**
 * A tabular CSV large enough that ingesting it takes a while (300,000 rows is about 12 MB and
 * several seconds of work): for tests that act while a file is still being ingested.
 */
export function largeCsv(rows: number): Buffer {
  const lines = ['id,city,amount,when,label,score'];
  const cities = ['Oslo', 'Lima', 'Pune', 'Accra', 'Quito'];
  for (let i = 0; i < rows; i += 1) {
    lines.push(
      `${i},${cities[i % 5]},${(i * 7.31) % 1000},2024-0${(i % 9) + 1}-1${i % 10},${i % 3 === 0 ? 'yes' : 'no'},${(i % 97) / 7}`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}
