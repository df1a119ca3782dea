import { runExtractCommand } from './cli.js';

process.exitCode = await runExtractCommand(process.argv.slice(2));
