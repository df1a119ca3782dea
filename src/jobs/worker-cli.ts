export async function runWorkerCommand(_args: string[]): Promise<number> {
  process.stderr.write('comfyreg worker: not implemented yet\n');
  return 2;
}
