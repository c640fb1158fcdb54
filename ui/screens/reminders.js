// Follow-up reminders (Nhắc việc): a later issue; for now a clear placeholder.
import { comingSoon } from './placeholder.js';

export default comingSoon('reminders', 'reminders');
