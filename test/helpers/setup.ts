import 'aws-sdk-client-mock-jest';

// The SDK warns on every client under Node.js 20; tests run there on purpose (CI machines).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
