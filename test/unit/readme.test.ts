import fs from 'node:fs';
import { README, withTable } from '../../scripts/config-table';

describe('README', () => {
  it('has the configuration table the code defines (run `npx tsx scripts/config-table.ts` after changing a key)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(withTable(readme)).toBe(readme);
  });

  it('leads with exactly the two commands: start and test', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const block = readme.split('## Two commands')[1].split('```')[1];
    const commands = block.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l && l !== 'sh');
    expect(commands).toEqual(['npm start', 'npm test']);
  });
});
