console.log(`post step: greeted ${process.env.STATE_greeted}`);
