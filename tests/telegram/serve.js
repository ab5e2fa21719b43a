// Starts the telegram-test-api Bot API emulator on 127.0.0.1:<port> until killed.
const TelegramServer = require('telegram-test-api');

const server = new TelegramServer({ port: Number(process.argv[2]), host: '127.0.0.1', storeTimeout: 3600 });
server.start().then(() => console.log(`emulator listening on ${server.config.apiURL}`));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
