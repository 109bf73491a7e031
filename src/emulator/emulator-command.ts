/** `oss-sync emulator`: placeholder until the emulator lands (owned by the emulator work). */
export async function runEmulatorCommand(_argv: string[]): Promise<number> {
  process.stderr.write('oss-sync emulator: not built yet\n');
  return 1;
}
