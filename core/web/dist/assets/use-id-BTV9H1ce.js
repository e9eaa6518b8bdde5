import{K as e}from"./index-DKsxa7c3.js";let r=0;function u(){const n=e(),{name:t="unknown"}=n?.type||{};return`${t}-${++r}`}export{u};
