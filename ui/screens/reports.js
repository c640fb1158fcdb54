// Reports (Báo cáo): a later issue; for now a clear placeholder.
import { comingSoon } from './placeholder.js';

export default comingSoon('reports', 'reports');
