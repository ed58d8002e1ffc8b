// Runs in each jest test file once the test framework is installed (jestConfig.setupFilesAfterEnv in .projenrc.ts):
// removes, after the file's last test, the folders its syntheses made in the system temporary directory
// (test/synthesis-folders.ts says why).
import { removeSynthesisFolders, trackSynthesisFolders } from './synthesis-folders';

trackSynthesisFolders();
afterAll(() => {
  removeSynthesisFolders();
});
